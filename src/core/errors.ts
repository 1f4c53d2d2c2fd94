/** The message of anything thrown, for reports: errors thrown by dependencies are not always `Error`s. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Error classes carry a string-literal `code` so that callers switch on the code, never on message text
 * (the sigstore-js pattern).
 */
export class MlsecError<Code extends string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export type ConfigErrorCode = 'CONFIG_PARSE' | 'CONFIG_INVALID' | 'CONFIG_NOT_FOUND';
export class ConfigError extends MlsecError<ConfigErrorCode> {}

export type UsageErrorCode =
  | 'USAGE_BAD_OPTION'
  | 'USAGE_PATH_NOT_FOUND'
  | 'USAGE_BAD_BASELINE'
  | 'USAGE_NOT_A_FILE'
  | 'USAGE_NOT_A_MODEL';
export class UsageError extends MlsecError<UsageErrorCode> {}

/**
 * Raised inside a scanner when the input cannot be read to the end. The engine turns it into an
 * `unscannable` finding; it never escapes a scan.
 */
export type ParseErrorCode =
  | 'TRUNCATED'
  | 'UNKNOWN_OPCODE'
  | 'INVALID_LENGTH'
  | 'INVALID_VALUE'
  | 'STACK_UNDERFLOW'
  | 'MEMO_MISSING'
  | 'BAD_STRUCTURE'
  | 'UNSUPPORTED';
export class ParseError extends MlsecError<ParseErrorCode> {
  /** Byte offset in the innermost stream where parsing stopped, when known. */
  readonly offset: number | undefined;

  constructor(code: ParseErrorCode, message: string, offset?: number) {
    super(code, message);
    this.offset = offset;
  }
}

/** Raised when a configured resource limit is reached; becomes an `unscannable` finding. */
export type LimitErrorCode =
  | 'FILE_SIZE'
  | 'DECOMPRESSED_SIZE'
  | 'COMPRESSION_RATIO'
  | 'NESTING_DEPTH'
  | 'STACK_DEPTH'
  | 'MEMO_SIZE'
  | 'OPCODE_COUNT'
  | 'MEMBER_COUNT'
  | 'MEMORY'
  | 'TIME';
export class LimitError extends MlsecError<LimitErrorCode> {
  readonly offset: number | undefined;

  constructor(code: LimitErrorCode, message: string, offset?: number) {
    super(code, message);
    this.offset = offset;
  }
}
