"""Test helpers that ship with curator: a fake Google server to try the app and run tests offline."""
