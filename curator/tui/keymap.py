"""The user's keymap: other keys for any action, by its name (the one the help screen and the palette show),
in ``keymap.toml`` of the user's config folder (``curator`` under platformdirs' user_config_dir):

    # action name = "key" or "key1,key2" (Textual key names: ctrl+x, f5, pagedown, slash, ...)
    cursor-down = "down,ctrl+n"
    playground = "f5"
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import platformdirs

from curator.core.errors import CuratorError
from curator.tui.actions import EVERY_NAME

KEYMAP_FILE = Path(platformdirs.user_config_dir("curator")) / "keymap.toml"


def load_keymap(path: Path = KEYMAP_FILE) -> dict[str, str]:
    """Action name -> keys ("a,b"); empty when there is no file. A CuratorError names the file and what is
    wrong (bad TOML, an unknown action, keys that are not a string)."""
    if not path.is_file():
        return {}
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise CuratorError(f"invalid TOML: {e}", path) from None
    except (OSError, UnicodeDecodeError) as e:
        raise CuratorError(f"cannot read the keymap: {e}", path) from None
    keymap: dict[str, str] = {}
    for name, keys in table.items():
        if name not in EVERY_NAME:
            raise CuratorError(f"unknown action {name!r} (the help screen, ?, lists every action by name)", path)
        if not isinstance(keys, str) or not [k for k in keys.split(",") if k.strip()]:
            raise CuratorError(f"{name}: keys must be a string such as \"f5\" or \"down,ctrl+n\"", path)
        keymap[name] = ",".join(k.strip() for k in keys.split(",") if k.strip())
    return keymap
