"""`print` query words (`?name=x`, `?-name`, `?<name=x`, `?#|!&`), evaluated as RouterOS does.

Each word pushes a boolean on a stack (which starts as endless `true`s) or, for `?#`, works
on the stack; an item is kept when no `false` is left on the stack at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


class QueryError(ValueError):
    pass


def _compare(left: str, right: str) -> int:
    try:
        a, b = int(left), int(right)
    except ValueError:
        return (left > right) - (left < right)
    return (a > b) - (a < b)


def _test(word: str) -> Callable[[Mapping[str, str]], bool]:
    body = word[1:]
    if body.startswith("-"):
        name = body[1:]
        return lambda item: name not in item
    if body[:1] in "<>":
        name, sep, value = body[1:].partition("=")
        sign = 1 if body[0] == ">" else -1
        return lambda item: name in item and _compare(item[name], value) == sign
    if body.startswith("="):
        body = body[1:]
    name, sep, value = body.partition("=")
    if not sep:
        return lambda item: name in item
    return lambda item: item.get(name) == value


def matches(words: list[str], item: Mapping[str, str]) -> bool:
    stack: list[bool] = []
    for word in words:
        if word.startswith("?#"):
            _operate(word[2:], stack)
        else:
            stack.append(_test(word)(item))
    return all(stack)


def _operate(ops: str, stack: list[bool]) -> None:
    def pop() -> bool:
        return stack.pop() if stack else True

    i = 0
    while i < len(ops):
        char = ops[i]
        if char.isdigit():
            j = i
            while j < len(ops) and ops[j].isdigit():
                j += 1
            index = int(ops[i:j])
            value = stack[-1 - index] if index < len(stack) else True
            if j == len(ops):
                stack[:] = [value]
            else:
                stack.append(value)
                if ops[j] == ".":
                    j += 1
            i = j
            continue
        if char == "!":
            stack.append(not pop())
        elif char == "&":
            b, a = pop(), pop()
            stack.append(a and b)
        elif char == "|":
            b, a = pop(), pop()
            stack.append(a or b)
        elif char == ".":
            stack.append(stack[-1] if stack else True)
        else:
            raise QueryError(f"unknown query operation {char!r}")
        i += 1
