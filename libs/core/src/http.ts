import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express, { type NextFunction, type Request, type Response } from 'express';
import { BerthConfig } from '@berth/config';
import { AllExceptionsFilter, toErrorBody, validationPipe } from '@berth/common';

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
