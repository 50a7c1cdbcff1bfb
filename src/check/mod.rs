//! Stage 3: lint rules over the vault and graph.
