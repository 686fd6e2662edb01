// custhealth/detail/state_io.hpp — the hook through which a mergeable partial state is written to bytes
// and read back (the Python bindings pickle states with it for custhealth.dask).
#pragma once

namespace custhealth::detail {

/// Specialised, for a partial-state type, by the code that serialises it (the Python bindings'
/// register_<component>.cpp, with partial_state.hpp's reader and writer). A state with private members befriends its specialisation, so the byte format
/// lives in one place, outside the analytics, and restoring can check the state's invariants.
template <class State>
struct state_io;

}  // namespace custhealth::detail
