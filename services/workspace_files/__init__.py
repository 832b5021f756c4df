"""Which files of a workspace count, and the one walk that finds them.

`policy` holds the rules (ignore files, include and exclude globs, default-skipped folders,
secret-looking names, binary extensions, the size limit) and the reasons a file is declined;
`walk` lists a workspace's folders under them; `read` reads a file the walk found;
`source_text` decodes its bytes and `secret_shapes` recognises credentials in the text. The
ingestor's Scan stage, its settings and the MCP bridge's docs index all use this package; it
imports none of them.
"""
