//! The JSON readers of docker inspect output: the first byte picks one.
#![no_main]
use libfuzzer_sys::fuzz_target;
use swarmdiag::parse;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match pick % 9 {
        0 => drop(parse::node::parse(&text)),
        1 => drop(parse::service::parse(&text)),
        2 => drop(parse::task::parse(&text)),
        3 => drop(parse::network::parse(&text)),
        4 => drop(parse::container::parse(&text)),
        5 => drop(parse::info::parse(&text)),
        6 => drop(parse::version::parse(&text)),
        7 => drop(parse::service_ps::parse(&text)),
        _ => drop(parse::json::top_level_items(&text)),
    }
});
