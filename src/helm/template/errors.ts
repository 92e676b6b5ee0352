/** Errors of the Go-template renderer: always the template's name and line, as Go prints them (`NAME:LINE: why`). */
export class TemplateError extends Error {
  readonly code = 'ERR_TEMPLATE';
  constructor(
    readonly template: string,
    readonly line: number,
    readonly why: string,
  ) {
    super(`${template}:${line}: ${why}`);
  }
}

/** `fail "…"` and `required "…"` in a chart: the chart's own message. */
export class TemplateFailError extends Error {
  readonly code = 'ERR_TEMPLATE_FAIL';
}
