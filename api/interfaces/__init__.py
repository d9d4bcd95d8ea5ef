"""How people and programs reach the knowledge base: the `veille` command (cli/) and the HTTP API (http/).
They only wire the stages together, and turn Veille's errors into exit codes and status codes."""
