/** What a sign-up or sign-in form shows after the server answered. */
export type AccountFormState =
  | { status: 'idle' }
  | {
      status: 'signed-in'
      /**
       * The guest space that merged into the account's on this sign-in,
       * and that space, so the guest's replica can carry its queue over.
       */
      merged?: { from: string; into: string }
    }
  | {
      status: 'refused'
      /** A stable code, e.g. `auth/wrong-credentials`. */
      code: string
      /** Messages to show beside their fields. */
      fieldErrors: Record<string, string>
      /** A message for the whole form, if any. */
      formError?: string
      /** What was typed, given back (never the password). */
      values: { name?: string; email?: string }
    }

export const IDLE: AccountFormState = { status: 'idle' }
