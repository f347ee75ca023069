"""Where each line of a setenv file starts: at the top level, or inside a string, a here-document
or a continued line.

Only a line that starts at the top level is a command; the same text inside a multi-line string is
data, and writing a quoted value there would turn the quotes inside out. The scanners follow the
quoting of bash and cmd.exe closely enough to tell, and whatever they cannot follow keeps the lines
after it from being edited (the safe side). Pure functions.
"""

import re


def body_and_ending(line: str) -> tuple[str, str]:
    if line.endswith("\r\n"):
        return line[:-2], "\r\n"
    if line.endswith("\n"):
        return line[:-1], "\n"
    return line, ""


def sh_line_starts(text: str) -> tuple[list[bool], bool]:
    """For each line of a shell script: does it start at the top level? And does the file end there?

    A small scanner of the shell's quoting: single and double quotes, backslashes, ``$( )``, ``${ }``,
    backquotes, comments and here-documents. What it cannot follow keeps the lines after it from
    being edited, which is the safe side.
    """
    starts: list[bool] = []
    stack: list[str] = []  # "'", '"', "`", "$(", "${", "<<?"; the top level is the empty stack
    heredocs: list[tuple[str, bool]] = []  # (delimiter, strip tabs) whose bodies start at the next line
    continued = False
    i, n = 0, len(text)
    line_start = True
    while i <= n:
        if line_start:
            starts.append(not stack and not continued)
            line_start = False
            continued = False
        if i == n:
            break
        ch = text[i]
        top = stack[-1] if stack else ""
        if ch == "\\" and top != "'":
            following = text[i + 1:i + 3]
            if following.startswith("\n") or following == "\r\n":
                continued = not stack
                line_start = True
                i += 2 if following.startswith("\n") else 3
                continue
            i += 2
            continue
        if ch == "\n":
            line_start = True
            i += 1
            if heredocs and not stack:
                i, complete = skip_heredocs(text, i, heredocs, starts)
                heredocs = []
                if not complete:
                    stack.append("<<?")
            continue
        if top == "'":
            if ch == "'":
                stack.pop()
        elif top == '"':
            if ch == '"':
                stack.pop()
            elif text.startswith(("$(", "${"), i):
                stack.append(text[i:i + 2])
                i += 1
            elif ch == "`":
                stack.append("`")
        elif ch in "'\"":
            stack.append(ch)
        elif ch == "`":
            if top == "`":
                stack.pop()
            else:
                stack.append("`")
        elif text.startswith(("$(", "${"), i):
            stack.append(text[i:i + 2])
            i += 1
        elif ch == "(" and top == "$(":
            stack.append("$(")
        elif ch == ")" and top == "$(" or ch == "}" and top == "${":
            stack.pop()
        elif ch == "#" and (i == 0 or text[i - 1] in " \t\n;&|()"):
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("<<", i) and not text.startswith("<<<", i):
            match = HEREDOC.match(text, i)
            if match is None:
                stack.append("<<?")  # a here-document the scanner cannot read: nothing after it is edited
            else:
                heredocs.append((match["word"], match["dash"] == "-"))
                i = match.end()
                continue
        i += 1
    return starts, not stack and not continued and not heredocs


HEREDOC = re.compile(r"<<(?P<dash>-?)[ \t]*(?P<quote>['\"]?)(?P<word>[A-Za-z0-9_.-]+)(?P=quote)")


def skip_heredocs(text: str, i: int, heredocs: list[tuple[str, bool]], starts: list[bool]) -> tuple[int, bool]:
    """Skip the bodies of the pending here-documents from ``i``; their lines are marked not editable.
    Returns where the scan goes on, and whether every body found its delimiter."""
    for delimiter, strip_tabs in heredocs:
        found = False
        while i < len(text) and not found:
            end = text.find("\n", i)
            line = text[i:] if end < 0 else text[i:end]
            starts.append(False)
            i = len(text) if end < 0 else end + 1
            body = line.rstrip("\r")
            found = (body.lstrip("\t") if strip_tabs else body) == delimiter
        if not found:
            return i, False
    return i, True


def bat_line_starts(lines: list[str]) -> tuple[list[bool], bool]:
    """For each line of a batch file: does it start a command (the line before does not end with a
    ^ that continues it)? And does the file end outside a continued line?"""
    starts, continued = [], False
    for line in lines:
        starts.append(not continued)
        outside = re.sub(r'"[^"]*"?', "", body_and_ending(line)[0])  # quotes do not span lines in cmd
        continued = bool(re.search(r"(?<!\^)(\^\^)*\^$", outside))
    return starts, not continued
