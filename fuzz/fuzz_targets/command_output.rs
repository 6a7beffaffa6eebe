//! Text command outputs: ip addr/link/route/neigh, bridge fdb, iptables
//! (save and list), ipvsadm, lsmod, ss, sysctl, engine versions.
#![no_main]
use libfuzzer_sys::fuzz_target;
use swarmdiag::parse;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match pick % 11 {
        0 => drop(parse::ip_addr::parse(&text)),
        1 => drop(parse::ip_route::parse(&text)),
        2 => drop(parse::ip_neigh::parse(&text)),
        3 => drop(parse::bridge_fdb::parse(&text)),
        4 => {
            if let Ok(rs) = parse::iptables::parse_save(&text) {
                let _ = rs.normalized();
            }
        }
        5 => drop(parse::iptables::parse_list(&text)),
        6 => drop(parse::ipvsadm::parse(&text)),
        7 => drop(parse::lsmod::parse(&text)),
        8 => drop(parse::sockets::parse(&text)),
        9 => drop(parse::sysctl::parse(&text)),
        _ => {
            let _ = parse::engine_version::parse_lenient(&text);
            let _ = parse::engine_version::parse_range(&text);
        }
    }
});
