/**
 * In-process events that other libraries react to (removing a git repository, stopping
 * containers). State that other hosts must act on is in the database, not in these events.
 */
export const APP_DELETED = 'app.deleted';
export interface AppDeletedEvent {
  appId: string;
  appName: string;
  environmentIds: string[];
}

export const ENVIRONMENT_DELETED = 'environment.deleted';
export interface EnvironmentDeletedEvent {
  appId: string;
  appName: string;
  environmentId: string;
  environmentName: string;
}
