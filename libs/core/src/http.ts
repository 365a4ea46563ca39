import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express, { type NextFunction, type Request, type Response } from 'express';
import { BerthConfig } from '@berth/config';
import { AllExceptionsFilter, badRequest, hasControlCharacters, toErrorBody, validationPipe } from '@berth/common';

/**
 * Body limits, validation, the one error shape and OpenAPI: everything an HTTP app of Berth
 * needs, shared by the real process and the tests so both behave the same.
 */
export function configureHttpApp(app: INestApplication): void {
  const config = app.get(BerthConfig);
  const http = app as NestExpressApplication;
  http.disable('x-powered-by');
  // req.ip, which rate limits count by, is X-Forwarded-For's client only behind these proxies.
  http.set('trust proxy', config.api.trustProxy);
  http.use(refuseControlCharactersInUrl);
  // Parsed here rather than by Nest so a parse error keeps its type (invalid_json, payload_too_large).
  http.use(express.json({ limit: `${config.api.bodyLimitKb}kb`, strict: false, type: ['application/json', 'application/*+json'] }));
  http.use(bodyParserErrorHandler);
  app.useGlobalPipes(validationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());
  app.enableShutdownHooks();

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Berth API')
      .setDescription('Apps, environments, builds, releases and config of a Berth installation. Authenticate with "Authorization: Bearer <token>".')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  // NestJS's conventional addresses: /api/docs (UI), /api/docs-json and /api/docs-yaml; the
  // older /api/docs/openapi.json stays as an alias for clients that use it.
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json', yamlDocumentUrl: 'api/docs-yaml' });
  (http.getHttpAdapter().getInstance() as express.Express).get('/api/docs/openapi.json', (_req, res) => void res.json(document));
}

/** Body-parser errors happen before Nest's filters see the request; this renders them the same way. */
export function bodyParserErrorHandler(error: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) return next(error);
  const body = toErrorBody(error);
  res.status(body.statusCode).json(body);
}

/** Why a request's URL cannot name anything, or null when it can. */
export function urlProblem(url: string): string | null {
  const queryAt = url.indexOf('?');
  const path = queryAt < 0 ? url : url.slice(0, queryAt);
  const query = queryAt < 0 ? '' : url.slice(queryAt + 1);
  const parts = [...path.split('/'), ...query.split(/[&=]/).map((part) => part.replace(/\+/g, ' '))];
  for (const part of parts) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      return 'The URL has a malformed percent-escape (a "%" not followed by two hex digits). Encode "%" as %25 and try again.';
    }
    if (hasControlCharacters(decoded)) {
      return 'The URL contains a control character (such as %00 or a line break). Names of apps, environments, teams and ids never contain one: remove it and try again.';
    }
  }
  return null;
}

/**
 * Names and ids reach the database from the path and the query; PostgreSQL refuses NUL in text
 * (a 500 if it got that far), and no name may hold a control character anyway. One check here
 * covers every route, present and future, with the one error shape.
 */
export function refuseControlCharactersInUrl(req: Request, res: Response, next: NextFunction): void {
  const problem = urlProblem(req.originalUrl ?? req.url);
  if (!problem) return next();
  res.status(400).json(toErrorBody(badRequest('invalid_request', problem)));
}
