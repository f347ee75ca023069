"""The limits of an application's options: one set, read by every write path.

The options editor, the ``.cfg`` import and the services (so the future API and the command line)
refuse what exceeds these, with the same message; SECURITY.md lists them and what each protects.
They are sized so that the largest configuration accepted stays quick to edit, import and export
(PERFORMANCE.md, "Options at scale").
"""

# Options one application may hold. What the import accepts is what the editor must stay usable at.
MAX_OPTIONS_PER_APPLICATION = 20_000

# Section and option names: the database columns' length.
MAX_NAME_LENGTH = 255

# One value, in characters: what the editor has always accepted. A longer value cannot be typed in
# the editor, so it is not accepted from a file either.
MAX_VALUE_LENGTH = 4_000

# A .cfg file to import, in bytes (20,000 options of ordinary length are about 1 MB).
MAX_CFG_BYTES = 2 * 1024 * 1024

# Port sections in one ports .cfg file: each is judged by the port form (a few queries), so a file of
# thousands would hold a request for minutes; an application has a handful of ports.
MAX_PORTS_PER_FILE = 500

# Rows on one page of the options editor. A page posts five fields a row: 100 rows and the blank rows
# stay well under Django's DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000), at any number of options.
EDITOR_PAGE_ROWS = 100
EDITOR_NEW_ROWS = 3
