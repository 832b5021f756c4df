"""The KnowledgeService's protobuf side: responses built from the use cases' plain values to
the byte budget (fit.py measures and cuts), and the contract's symbol kinds. Use-case modules
one level up never import protobuf (tests/unit/test_architecture.py)."""
