"""The HTTP layer: the app, middleware, sessions, charts, OpenAPI and endpoints."""
