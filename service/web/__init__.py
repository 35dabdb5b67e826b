"""Server-rendered pages (Jinja2, inline SVG charts, no front-end build): leaderboards, evaluations and
comparisons, reading the same queries as the JSON API. The app factory (service.app) mounts their routers."""
