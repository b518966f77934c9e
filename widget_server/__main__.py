from widget_server.cli import main

# Guarded: a process started with "spawn" (the simulator's, counting/comparison.py)
# imports this module again under another name.
if __name__ == "__main__":
    raise SystemExit(main())
