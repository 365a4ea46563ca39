import { ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidateBy } from 'class-validator';
import { invalidInput } from './errors';

function flatten(errors: ValidationError[], parent = ''): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    if (error.constraints) {
      const messages = Object.entries(error.constraints).map(([rule, message]) =>
        rule === 'whitelistValidation' ? 'is not a known field; remove it' : message.replace(new RegExp(`^${error.property} `), ''),
      );
      fields[path] = messages.join(', ');
    }
    if (error.children?.length) Object.assign(fields, flatten(error.children, path));
  }
  return fields;
}

/** The one validation approach for request bodies: class-validator, unknown fields refused. */
export const validationPipe = () =>
  new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => invalidInput(flatten(errors)),
  });

/**
 * Validates a property with one of our `...Problem(value)` functions (which return a message
 * or null), so domain rules report through the same 400 as every other field.
 */
export function Satisfies(problem: (value: never) => string | null): PropertyDecorator {
  return ValidateBy({
    name: 'satisfies',
    validator: {
      validate: (value) => problem(value as never) === null,
      defaultMessage: (args) => problem(args?.value as never) ?? 'is invalid',
    },
  });
}
