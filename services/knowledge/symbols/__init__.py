"""The symbol graph's use cases: resolving references, and the queries behind FindSymbols,
FindReferences, GetCallGraph and GetImpact."""
