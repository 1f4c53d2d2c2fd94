/** Exit codes, documented in README.md. */
export const EXIT_OK = 0;
/** Findings at or above the `--fail-on` severity. */
export const EXIT_FINDINGS = 1;
/** Usage, configuration or I/O error. */
export const EXIT_ERROR = 2;
