// Typed repository functions the activities and the API use. Each takes a Database (or a transaction,
// which is one) first; invariants that span tables are kept inside one transaction.
export * from './errors';
export * from './audit';
export * from './borrowers';
export * from './ledger';
export * from './cases';
export * from './contacts';
export * from './tasks';
export * from './negotiation';
export * from './strategies';
export * from './apiKeys';
export * from './scoring';
