/* The run's report: one JSON document (written as the JSON file), rendered as a text table
 * for the terminal and as a self-contained HTML page with inline SVG charts. */
#ifndef GXLT_REPORT_H
#define GXLT_REPORT_H

#include <stdio.h>
#include <jansson.h>
#include "run.h"

/* Builds the report of a finished run (new reference). */
json_t *gxlt_report_build(gxlt_run *run, double measured_s);
/* Checks SLOs and zero-violation counters; sets "pass" and "failures" in report.
 * Returns true when everything passed. */
bool gxlt_report_judge(json_t *report, const gxlt_scenario *sc);
/* Writers; each returns 0 or -1 on a write error. */
int gxlt_report_text(FILE *f, json_t *report);
int gxlt_report_html(FILE *f, json_t *report);

#endif
