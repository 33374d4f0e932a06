"""The tutorial's todo store: in memory, one list for every owner."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any


class TodoService:
    def __init__(self) -> None:
        self._todos: list[dict[str, Any]] = []

    def get_all_todos(self, owner_id: str | None = None) -> list[dict[str, Any]]:
        """Every todo, or only ``owner_id``'s."""
        return [
            dict(t) for t in self._todos if owner_id is None or t["ownerId"] == owner_id
        ]

    def get_todo_by_id(self, todo_id: str) -> dict[str, Any] | None:
        return next((dict(t) for t in self._todos if t["id"] == todo_id), None)

    def create_todo(self, content: str, owner_id: str) -> dict[str, Any]:
        todo = {
            "id": secrets.token_hex(4),
            "content": content,
            "ownerId": owner_id,
            "createdAt": datetime.now(timezone.utc).isoformat(),  # noqa: UP017 (3.10)
        }
        self._todos.append(todo)
        return dict(todo)

    def delete_todo(self, todo_id: str) -> dict[str, Any] | None:
        for i, todo in enumerate(self._todos):
            if todo["id"] == todo_id:
                return self._todos.pop(i)
        return None
