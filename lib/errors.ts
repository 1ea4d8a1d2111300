/**
 * The one error type that crosses module boundaries. `code` is stable and
 * machine-readable (`area/what`); `status` is the HTTP status it maps to when
 * it reaches the wire; `field` names the input at fault, when there is one.
 */
export class AppError extends Error {
  readonly code: string
  readonly status: number
  readonly field?: string

  constructor(
    code: string,
    message: string,
    options: { status?: number; field?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause })
    this.name = 'AppError'
    this.code = code
    this.status = options.status ?? 500
    this.field = options.field
  }

  toJSON() {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.field ? { field: this.field } : {}),
      },
    }
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError
}
