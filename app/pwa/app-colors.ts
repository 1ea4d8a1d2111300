/**
 * The installed app's colours: the page background of each colour scheme
 * (see app/globals.css) and the icon's accent. scripts/make-icons.ts draws
 * the icons with the same accent.
 */
export const APP_COLORS = {
  light: '#f7f7f9',
  dark: '#15161a',
  accent: '#1f5fd1',
} as const
