'use client'

import type { KeyboardEvent, Ref } from 'react'

/** A short list of common picks; anything else can be typed. */
export const COMMON_EMOJI = [
  '😀',
  '😎',
  '🤓',
  '🥳',
  '🤖',
  '👻',
  '👽',
  '🦄',
  '🐶',
  '🐱',
  '🦊',
  '🐻',
  '🐼',
  '🐨',
  '🦁',
  '🐸',
  '🐵',
  '🐙',
  '🦉',
  '🐢',
  '🌻',
  '🍕',
  '🚀',
  '⭐',
] as const

interface EmojiPickerProps {
  /** Prefix for element ids; unique on the page. */
  idBase: string
  /** The text in the input; a grid button is pressed when it matches. */
  value: string
  onChange: (text: string) => void
  onPick: (emoji: string) => void
  gridLabel: string
  inputLabel: string
  /** The accessible name of one grid button. */
  optionLabel?: (emoji: string) => string
  error?: string | null
  inputRef?: Ref<HTMLInputElement>
  onInputKeyDown?: (event: KeyboardEvent<HTMLInputElement>) => void
}

/**
 * A grid of common emoji as toggle buttons plus a text input for any other
 * emoji. The parent decides what picking or typing means.
 */
export function EmojiPicker({
  idBase,
  value,
  onChange,
  onPick,
  gridLabel,
  inputLabel,
  optionLabel,
  error,
  inputRef,
  onInputKeyDown,
}: EmojiPickerProps) {
  const inputId = `${idBase}-text`
  const errorId = `${idBase}-error`

  return (
    <div className="emoji-picker">
      <div role="group" aria-label={gridLabel} className="emoji-grid">
        {COMMON_EMOJI.map((emoji) => (
          <button
            key={emoji}
            type="button"
            className="emoji-option"
            aria-pressed={value === emoji}
            aria-label={optionLabel?.(emoji)}
            onClick={() => onPick(emoji)}
          >
            {emoji}
          </button>
        ))}
      </div>
      <div className="field">
        <label htmlFor={inputId}>{inputLabel}</label>
        <input
          ref={inputRef}
          id={inputId}
          className="emoji-input"
          value={value}
          onChange={(event) => onChange(event.target.value)}
          onKeyDown={onInputKeyDown}
          autoComplete="off"
          autoCorrect="off"
          spellCheck={false}
          enterKeyHint="done"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : undefined}
        />
        {error ? (
          <p id={errorId} role="alert" className="field-error">
            {error}
          </p>
        ) : null}
      </div>
    </div>
  )
}
