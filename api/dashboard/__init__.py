"""The dashboard: a live session monitor for the professor, served by the API app (Jinja pages, plain ES
modules, Server-Sent Events). `routes` has the pages, `session_cookie` the signed-in cookie and CSRF checks."""
