//! Is this user in the site's pilot list? The one place the configuration
//! needs NSS (a name and group lookup, through `getent`), and only when a
//! pilot list exists: without one, the fast path makes no lookup.

use nix::unistd::{Gid, getgid, getgroups};

use crate::engine::getent;

use super::Pilot;

/// `uid` is named in the list, or one of this process's groups is.
pub fn includes(list: &[Pilot], uid: u32) -> bool {
    // Within the run's time budget; no answer counts as not listed (tmpguard
    // stays off for this start rather than hold a login).
    let name = || getent::name_of(uid).ok().flatten();
    // The kernel's group list of this process: no NSS for membership itself.
    let groups = || {
        let mut g = getgroups().unwrap_or_default();
        g.push(getgid());
        g
    };
    let mut user = None;
    let mut gids: Option<Vec<Gid>> = None;
    list.iter().any(|p| match p {
        Pilot::User(n) => user.get_or_insert_with(name).as_deref() == Some(n.as_str()),
        Pilot::Group(g) => getent::gid_of(g).ok().flatten().is_some_and(|gid| {
            gids.get_or_insert_with(groups)
                .contains(&Gid::from_raw(gid))
        }),
    })
}
