import { LimitError, ParseError, messageOf } from './errors.js';
import { SCAN_LIMIT, SCAN_UNPARSEABLE } from './scan-rules.js';
import type { ScanContext } from './scanner.js';

/**
 * Records that (part of) a file could not be read to the end. Scanners call this from their `catch` blocks so
 * that one broken member does not stop the scan of its siblings, and the file is never left looking clean.
 * Errors that are not parse or limit errors are bugs in mlsec; they are reported the same way (fail closed)
 * with their message, rather than crashing the whole scan.
 */
export function reportUnreadable(context: ScanContext, error: unknown, member?: string): void {
  const where = member === undefined ? {} : { member };
  if (error instanceof LimitError) {
    context.report({
      ruleId: SCAN_LIMIT.id,
      message: `Limit reached (${error.code}): ${error.message}`,
      evidence: error.code,
      ...where,
      ...(error.offset !== undefined && { offset: error.offset }),
    });
  } else if (error instanceof ParseError) {
    context.report({
      ruleId: SCAN_UNPARSEABLE.id,
      message: `Could not parse (${error.code}): ${error.message}`,
      evidence: error.code,
      ...where,
      ...(error.offset !== undefined && { offset: error.offset }),
    });
  } else {
    const text = messageOf(error);
    context.report({
      ruleId: SCAN_UNPARSEABLE.id,
      message: `Could not read: ${text}`,
      evidence: 'READ_ERROR',
      ...where,
    });
  }
}
