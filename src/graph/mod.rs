//! Stage 2: notes → concept graph.
