"""Test tooling shared by every test package: databases, a really started server, API clients."""
