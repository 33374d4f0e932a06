// In-memory todo store, shaped like the tutorial's TodoService.

export type Todo = { id: string; content: string; ownerId: string; createdAt: string };

export class TodoService {
  private readonly todos: Todo[] = [];

  /** Every todo, or only those of `ownerId` when given. */
  getAllTodos(ownerId?: string): Todo[] {
    return ownerId ? this.todos.filter((todo) => todo.ownerId === ownerId) : [...this.todos];
  }

  getTodoById(id: string): Todo | undefined {
    return this.todos.find((todo) => todo.id === id);
  }

  createTodo(content: string, ownerId: string): Todo {
    const todo: Todo = { id: Math.random().toString(36).slice(2, 10), content, ownerId, createdAt: new Date().toISOString() };
    this.todos.push(todo);
    return todo;
  }

  deleteTodo(id: string): Todo | undefined {
    const index = this.todos.findIndex((todo) => todo.id === id);
    return index === -1 ? undefined : this.todos.splice(index, 1)[0];
  }
}
