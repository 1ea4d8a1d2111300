'use client'

import {
  startTransition,
  useEffect,
  useId,
  useOptimistic,
  useRef,
  useState,
  type FormEvent,
  type KeyboardEvent,
} from 'react'

import type { Avatar } from '@/sync/mutations'
import { emojiSchema, nameSchema } from '@/sync/validation'

import { EmojiPicker } from './emoji-picker'
import {
  useDeleteAvatar,
  useDeleteAvatarError,
  useMoveAvatar,
  useRenameAvatar,
  useSetActive,
  useSetEmoji,
  type MoveDirection,
} from './hooks'

interface AvatarItemProps {
  avatar: Avatar
  isFirst: boolean
  isLast: boolean
  /** Says something to screen readers through the roster's status line. */
  onAnnounce: (message: string) => void
  /** Called as the row is about to disappear, so focus can go elsewhere. */
  onDeleteStart: (avatar: Avatar) => void
  /** Why the server refused this avatar's last change, if it did. */
  refusal?: string
}

type FocusTarget = 'name-input' | 'rename' | 'emoji-toggle' | 'emoji-choice'

/** One avatar: every edit happens in place, each error next to its control. */
export function AvatarItem({
  avatar,
  isFirst,
  isLast,
  onAnnounce,
  onDeleteStart,
  refusal,
}: AvatarItemProps) {
  const { id, name } = avatar
  const domId = useId()

  const rename = useRenameAvatar()
  const setEmoji = useSetEmoji()
  const setActive = useSetActive()
  const move = useMoveAvatar()
  const remove = useDeleteAvatar()
  const deleteError = useDeleteAvatarError(id)
  const [dismissedDeleteError, setDismissedDeleteError] =
    useState<typeof deleteError>(null)

  const [editing, setEditing] = useState(false)
  const [draft, setDraft] = useState(name)
  const [nameProblem, setNameProblem] = useState<string | null>(null)
  const [emojiOpen, setEmojiOpen] = useState(false)
  const [emojiDraft, setEmojiDraft] = useState(avatar.emoji)
  const [emojiProblem, setEmojiProblem] = useState<string | null>(null)
  // The query cache tells the roster of a write one task after the click,
  // and React puts a controlled checkbox back to its prop when the click
  // ends: without this the tick would flip back until then.
  const [shownActive, showActive] = useOptimistic(avatar.isActive)

  const nameInputRef = useRef<HTMLInputElement>(null)
  const renameRef = useRef<HTMLButtonElement>(null)
  const emojiToggleRef = useRef<HTMLButtonElement>(null)
  const emojiPanelRef = useRef<HTMLFormElement>(null)
  const upRef = useRef<HTMLButtonElement>(null)
  const downRef = useRef<HTMLButtonElement>(null)
  const focusNext = useRef<FocusTarget | null>(null)
  const focusAfterMove = useRef<MoveDirection | null>(null)

  // Focus follows the control that replaced the one just used.
  useEffect(() => {
    const target = focusNext.current
    if (target === null) return
    const element = {
      'name-input': nameInputRef.current,
      rename: renameRef.current,
      'emoji-toggle': emojiToggleRef.current,
      'emoji-choice':
        emojiPanelRef.current?.querySelector<HTMLElement>(
          '[aria-pressed="true"]',
        ) ?? emojiPanelRef.current?.querySelector<HTMLElement>('button'),
    }[target]
    if (!element) return
    focusNext.current = null
    element.focus()
  })

  // Moving a row can take its focused button out of the document for a
  // moment; put focus back once the row has its new place.
  useEffect(() => {
    const direction = focusAfterMove.current
    if (direction === null) return
    focusAfterMove.current = null
    const stillMovable = direction === 'up' ? !isFirst : !isLast
    const sameWay = direction === 'up' ? upRef : downRef
    const otherWay = direction === 'up' ? downRef : upRef
    ;(stillMovable ? sameWay : otherWay).current?.focus()
  }, [avatar.position, isFirst, isLast])

  const nameError = nameProblem ?? rename.error?.message ?? null
  const visibleDeleteError =
    deleteError !== dismissedDeleteError ? deleteError : null
  const rowErrors = [
    setEmoji.error && `Couldn’t change the emoji: ${setEmoji.error.message}`,
    setActive.error && `Couldn’t change active: ${setActive.error.message}`,
    move.error && `Couldn’t move ${name}: ${move.error.message}`,
    visibleDeleteError &&
      `Couldn’t delete ${name}: ${visibleDeleteError.message}`,
  ].filter((message) => typeof message === 'string')

  /** Old errors go once the person does something else with the row. */
  function clearErrors() {
    for (const mutation of [rename, setEmoji, setActive, move]) {
      if (mutation.isError) mutation.reset()
    }
    setDismissedDeleteError(deleteError)
    setNameProblem(null)
    setEmojiProblem(null)
  }

  function startRename() {
    clearErrors()
    setDraft(name)
    setEditing(true)
    focusNext.current = 'name-input'
  }

  function stopRename() {
    setEditing(false)
    focusNext.current = 'rename'
  }

  function cancelRename() {
    clearErrors()
    stopRename()
  }

  function saveRename(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const checked = nameSchema.safeParse(draft)
    if (!checked.success) {
      setNameProblem(checked.error.issues[0]?.message ?? 'invalid name')
      nameInputRef.current?.focus()
      return
    }

    clearErrors()
    stopRename()
    if (checked.data === name) return
    const submitted = checked.data
    rename.mutate(
      { id, name: submitted },
      {
        // Refused: reopen the field with what was typed, error beneath it.
        onError: () => {
          setDraft(submitted)
          setEditing(true)
          focusNext.current = 'name-input'
        },
      },
    )
  }

  function onNameKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key !== 'Escape') return
    event.preventDefault()
    event.stopPropagation()
    cancelRename()
  }

  function toggleEmoji() {
    clearErrors()
    if (emojiOpen) {
      setEmojiOpen(false)
      return
    }
    setEmojiDraft(avatar.emoji)
    setEmojiOpen(true)
    focusNext.current = 'emoji-choice'
  }

  function closeEmoji() {
    setEmojiProblem(null)
    setEmojiOpen(false)
    focusNext.current = 'emoji-toggle'
  }

  function applyEmoji(text: string) {
    const checked = emojiSchema.safeParse(text)
    if (!checked.success) {
      setEmojiProblem(checked.error.issues[0]?.message ?? 'invalid emoji')
      return
    }
    clearErrors()
    closeEmoji()
    if (checked.data !== avatar.emoji) {
      setEmoji.mutate({ id, emoji: checked.data })
    }
  }

  function onEmojiPanelKeyDown(event: KeyboardEvent<HTMLFormElement>) {
    if (event.key !== 'Escape') return
    event.preventDefault()
    closeEmoji()
  }

  function toggleActive(isActive: boolean) {
    clearErrors()
    startTransition(async () => {
      showActive(isActive)
      // A refusal shows through `setActive.error`; the roster rolls back.
      await setActive.mutateAsync({ id, isActive }).catch(() => {})
    })
  }

  function moveBy(direction: MoveDirection) {
    clearErrors()
    if (!move.move(id, direction)) return
    focusAfterMove.current = direction
    onAnnounce(`${name} moved ${direction}`)
  }

  function deleteAvatar() {
    clearErrors()
    onDeleteStart(avatar)
    remove.mutate({ id })
  }

  const panelId = `${domId}-emoji-panel`
  const nameErrorId = `${domId}-name-error`
  const hintId = `${domId}-rename-hint`

  return (
    <li
      className="avatar-item"
      data-testid="avatar-item"
      data-avatar-id={id}
      data-active={shownActive ? 'true' : undefined}
    >
      <div className="avatar-main">
        <button
          ref={emojiToggleRef}
          type="button"
          className="avatar-emoji"
          aria-label={`Change emoji for ${name}`}
          aria-expanded={emojiOpen}
          aria-controls={emojiOpen ? panelId : undefined}
          onClick={toggleEmoji}
        >
          {avatar.emoji}
        </button>

        <div className="avatar-name-area">
          {editing ? (
            <form className="rename-form" onSubmit={saveRename}>
              <input
                ref={nameInputRef}
                className="rename-input"
                value={draft}
                onChange={(event) => {
                  setDraft(event.target.value)
                  if (nameError) clearErrors()
                }}
                onKeyDown={onNameKeyDown}
                aria-label={`New name for ${name}`}
                aria-invalid={nameError ? true : undefined}
                aria-describedby={
                  nameError ? `${nameErrorId} ${hintId}` : hintId
                }
                autoComplete="off"
                enterKeyHint="done"
              />
              <span id={hintId} className="visually-hidden">
                Enter saves, Escape cancels.
              </span>
              <span className="rename-buttons">
                <button type="submit" aria-label={`Save name for ${name}`}>
                  Save
                </button>
                <button
                  type="button"
                  aria-label={`Cancel renaming ${name}`}
                  onClick={cancelRename}
                >
                  Cancel
                </button>
              </span>
            </form>
          ) : (
            <p className="avatar-name" title={name}>
              {name}
            </p>
          )}
          {nameError ? (
            <p id={nameErrorId} role="alert" className="field-error">
              {nameError}
            </p>
          ) : null}
        </div>
      </div>

      {emojiOpen ? (
        <form
          ref={emojiPanelRef}
          id={panelId}
          className="emoji-panel"
          onSubmit={(event) => {
            event.preventDefault()
            applyEmoji(emojiDraft)
          }}
          onKeyDown={onEmojiPanelKeyDown}
        >
          <EmojiPicker
            idBase={`${domId}-emoji`}
            value={emojiDraft}
            onChange={(text) => {
              setEmojiDraft(text)
              setEmojiProblem(null)
            }}
            onPick={applyEmoji}
            gridLabel={`Emoji for ${name}`}
            inputLabel={`Or type an emoji for ${name}`}
            optionLabel={(emoji) => `Use ${emoji} for ${name}`}
            error={emojiProblem}
          />
          <div className="button-row">
            <button type="submit" aria-label={`Save emoji for ${name}`}>
              Save emoji
            </button>
            <button
              type="button"
              aria-label={`Close emoji choices for ${name}`}
              onClick={closeEmoji}
            >
              Close
            </button>
          </div>
        </form>
      ) : null}

      <div className="avatar-actions">
        <label className="active-toggle">
          <input
            type="checkbox"
            checked={shownActive}
            onChange={(event) => toggleActive(event.target.checked)}
            aria-label={`${name} is active`}
          />
          <span aria-hidden="true">Active</span>
        </label>
        {editing ? null : (
          <button
            ref={renameRef}
            type="button"
            aria-label={`Rename ${name}`}
            onClick={startRename}
          >
            Rename
          </button>
        )}
        <span className="move-buttons">
          <button
            ref={upRef}
            type="button"
            aria-label={`Move ${name} up`}
            disabled={isFirst}
            onClick={() => moveBy('up')}
          >
            <span aria-hidden="true">↑</span> Up
          </button>
          <button
            ref={downRef}
            type="button"
            aria-label={`Move ${name} down`}
            disabled={isLast}
            onClick={() => moveBy('down')}
          >
            <span aria-hidden="true">↓</span> Down
          </button>
        </span>
        <button
          type="button"
          className="button-danger"
          aria-label={`Delete ${name}`}
          onClick={deleteAvatar}
        >
          Delete
        </button>
      </div>

      {refusal ? (
        <p className="field-error" data-testid="avatar-refusal">
          {refusal}
        </p>
      ) : null}
      {rowErrors.map((message) => (
        <p key={message} role="alert" className="field-error">
          {message}
        </p>
      ))}
    </li>
  )
}
