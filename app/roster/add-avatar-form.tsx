'use client'

import { useId, useRef, useState, type FormEvent } from 'react'

import { emojiSchema, nameSchema } from '@/sync/validation'

import { COMMON_EMOJI, EmojiPicker } from './emoji-picker'
import { useAddAvatar } from './hooks'

interface Problems {
  name?: string
  emoji?: string
}

/** Adds an avatar: a name and an emoji picked from the grid or typed. */
export function AddAvatarForm() {
  const { add, error, reset } = useAddAvatar()
  const [name, setName] = useState('')
  const [emoji, setEmoji] = useState<string>(COMMON_EMOJI[0])
  const [problems, setProblems] = useState<Problems>({})
  const nameRef = useRef<HTMLInputElement>(null)
  const emojiRef = useRef<HTMLInputElement>(null)
  const id = useId()

  const nameError =
    problems.name ?? (error?.field === 'name' ? error.message : null)
  const emojiError =
    problems.emoji ?? (error?.field === 'emoji' ? error.message : null)
  const formError =
    error && error.field !== 'name' && error.field !== 'emoji'
      ? error.message
      : null

  function clearError(field: keyof Problems) {
    setProblems((current) => ({ ...current, [field]: undefined }))
    if (error) reset()
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (error) reset()

    const checkedName = nameSchema.safeParse(name)
    const checkedEmoji = emojiSchema.safeParse(emoji)
    setProblems({
      name: checkedName.error?.issues[0]?.message,
      emoji: checkedEmoji.error?.issues[0]?.message,
    })
    if (!checkedName.success || !checkedEmoji.success) {
      const invalid = checkedName.success ? emojiRef : nameRef
      invalid.current?.focus()
      return
    }

    const submitted = checkedName.data
    add(
      { name: submitted, emoji: checkedEmoji.data },
      {
        // Give the name back unless a new one is already being typed.
        onError: () =>
          setName((current) => (current === '' ? submitted : current)),
      },
    )
    setName('')
    nameRef.current?.focus()
  }

  return (
    <form
      className="add-form"
      aria-labelledby={`${id}-heading`}
      onSubmit={submit}
      noValidate
    >
      <h2 id={`${id}-heading`}>Add an avatar</h2>

      <div className="field">
        <label htmlFor={`${id}-name`}>Name</label>
        <input
          ref={nameRef}
          id={`${id}-name`}
          value={name}
          onChange={(event) => {
            setName(event.target.value)
            if (nameError) clearError('name')
          }}
          autoComplete="off"
          enterKeyHint="done"
          aria-invalid={nameError ? true : undefined}
          aria-describedby={nameError ? `${id}-name-error` : undefined}
        />
        {nameError ? (
          <p id={`${id}-name-error`} role="alert" className="field-error">
            {nameError}
          </p>
        ) : null}
      </div>

      <fieldset className="emoji-fieldset">
        <legend>Emoji</legend>
        <EmojiPicker
          idBase={`${id}-emoji`}
          value={emoji}
          onChange={(text) => {
            setEmoji(text)
            if (emojiError) clearError('emoji')
          }}
          onPick={(picked) => {
            setEmoji(picked)
            if (emojiError) clearError('emoji')
          }}
          gridLabel="Common emoji"
          inputLabel="Chosen emoji (pick above, or type any)"
          error={emojiError}
          inputRef={emojiRef}
        />
      </fieldset>

      <button type="submit" className="button-primary">
        Add avatar
      </button>
      {formError ? (
        <p role="alert" className="field-error">
          Couldn’t add the avatar: {formError}
        </p>
      ) : null}
    </form>
  )
}
