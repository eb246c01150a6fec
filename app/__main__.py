from app.cli import main

if __name__ == "__main__":  # the worker process (spawn) imports this module again
    raise SystemExit(main())
