export * from './accounts.module';
export * from './principal';
export * from './roles';
export * from './teams/teams.service';
export * from './tokens/scopes';
export * from './tokens/tokens.service';
