export * from './replicated'
export * from './server'
