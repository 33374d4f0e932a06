// In-memory todo store for the example server. Todos have the tutorial's
// shape: { id, content, ownerId, createdAt }. Nothing here knows about
// authorization; the tools in server.mjs decide who may see or delete what.

import { randomBytes } from 'node:crypto';

export class TodoService {
  #todos = new Map();

  /** Every todo, or only those owned by `ownerId` when it is given. */
  getAllTodos(ownerId) {
    const all = [...this.#todos.values()];
    return ownerId === undefined ? all : all.filter((todo) => todo.ownerId === ownerId);
  }

  getTodoById(id) {
    return this.#todos.get(id);
  }

  createTodo({ content, ownerId }) {
    let id;
    do id = newId();
    while (this.#todos.has(id));
    const todo = { id, content, ownerId, createdAt: new Date().toISOString() };
    this.#todos.set(id, todo);
    return todo;
  }

  /** Removes and returns the todo, or undefined when there is none with that id. */
  deleteTodo(id) {
    const todo = this.#todos.get(id);
    this.#todos.delete(id);
    return todo;
  }
}

// 8 base-36 characters, like the tutorial's ids, but from a CSPRNG.
function newId() {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  return [...randomBytes(8)].map((byte) => alphabet[byte % 36]).join('');
}
