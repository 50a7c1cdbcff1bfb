//! Draws the global graph of a vault and one local graph, and says how long each took
//! (layout + SVG), for `bench/graph_view_bench.sh` and for looking at the result by hand.
//!
//! Usage: cargo run --release --example graph_view -- VAULT_DIR OUT_DIR

use savoir::config::Language;
use savoir::graph::{ConceptGraph, Schema};
use savoir::site::graph_view::{GraphViewOptions, LocalGraphs, global_graph_svg};
use std::time::Instant;
use std::{env, fs, path::PathBuf, process};

fn main() {
    let args: Vec<PathBuf> = env::args_os().skip(1).map(PathBuf::from).collect();
    let [vault_dir, out_dir] = args.as_slice() else {
        eprintln!("usage: graph_view VAULT_DIR OUT_DIR");
        process::exit(2);
    };
    let vault = savoir::vault::load(vault_dir).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        process::exit(2);
    });
    let graph = ConceptGraph::build(&vault, &Schema::builtin());
    let options = GraphViewOptions::new(Language::French);

    let started = Instant::now();
    let global = global_graph_svg(&graph, &options);
    let global_time = started.elapsed();

    let hub = graph
        .nodes()
        .max_by_key(|(n, _)| graph.outgoing(*n).len() + graph.incoming(*n).len())
        .map(|(n, _)| n)
        .expect("the vault has a concept");
    let started = Instant::now();
    let local = LocalGraphs::new(&graph).around(hub, 2).svg(&options);
    let local_time = started.elapsed();

    fs::create_dir_all(out_dir).expect("cannot create OUT_DIR");
    for (name, figure) in [("global", &global), ("local", &local)] {
        let page = format!(
            "<!doctype html><meta charset=\"utf-8\"><title>{name}</title>\
             <link rel=\"stylesheet\" href=\"graph.css\">{figure}<script src=\"graph.js\"></script>\n"
        );
        fs::write(out_dir.join(format!("{name}.html")), page).expect("cannot write the page");
    }
    println!(
        "nodes {} edges {} global {:.3} s ({} bytes) local-depth-2 of \"{}\" {:.3} s",
        graph.nodes().count(),
        graph.edges().count(),
        global_time.as_secs_f64(),
        global.len(),
        graph.node(hub).title,
        local_time.as_secs_f64()
    );
}
