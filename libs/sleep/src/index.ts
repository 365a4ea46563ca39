export * from './sleep-decision';
export * from './sleep.module';
export * from './sleeper.service';
export * from './waker.service';
