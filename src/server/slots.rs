//! The connections of one event loop, each in a numbered slot: the slot's number is the
//! connection's `Token` in the loop's `Poll` (less [`FIRST_CLIENT`](super::event_loop)).

use super::connection::Connection;

/// The connections of one loop, each in a numbered slot; a slot's number is its `Token`.
/// Freed slots are reused, so the numbers stay small.
#[derive(Default)]
pub(super) struct Connections {
    slots: Vec<Option<Connection>>,
    free: Vec<usize>,
    count: usize,
}

impl Connections {
    pub(super) fn len(&self) -> usize {
        self.count
    }

    pub(super) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// A slot to [`put`](Connections::put) the next connection in.
    pub(super) fn vacant_slot(&mut self) -> usize {
        self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        })
    }

    /// Returns a slot from [`vacant_slot`](Connections::vacant_slot) that was not used after all.
    pub(super) fn give_back(&mut self, slot: usize) {
        self.free.push(slot);
    }

    pub(super) fn put(&mut self, slot: usize, client: Connection) {
        self.slots[slot] = Some(client);
        self.count += 1;
    }

    pub(super) fn get_mut(&mut self, slot: usize) -> Option<&mut Connection> {
        self.slots.get_mut(slot).and_then(Option::as_mut)
    }

    /// The slot of the connection that has waited longest for a request (a stalled or idle
    /// socket, holding no request and no response), if any connection is waiting.
    pub(super) fn longest_waiting_for_a_request(&self) -> Option<usize> {
        let waiting = self.slots.iter().enumerate().filter_map(|(slot, client)| {
            let client = client.as_ref()?;
            client
                .is_waiting_for_a_request()
                .then_some((client.since, slot))
        });
        waiting.min().map(|(_, slot)| slot)
    }

    pub(super) fn take(&mut self, slot: usize) -> Option<Connection> {
        let client = self.slots.get_mut(slot)?.take()?;
        self.free.push(slot);
        self.count -= 1;
        Some(client)
    }
}
