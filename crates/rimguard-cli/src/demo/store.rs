//! The shop's data for the demo: a few customers and orders in memory.

use std::collections::HashMap;

use serde::Serialize;

/// A customer of the tyre shop.
#[derive(Debug, Clone, Serialize)]
pub struct Customer {
    /// The customer's id in the shop.
    pub id: u32,
    /// The customer's first name.
    pub name: &'static str,
    /// The car the customer's tyres are for.
    pub car: &'static str,
}

/// An order of tyres.
#[derive(Debug, Clone, Serialize)]
pub struct Order {
    /// The order number.
    pub number: &'static str,
    /// What was ordered.
    pub item: &'static str,
    /// Where the order is.
    pub status: &'static str,
}

/// Customers and their orders, keyed by phone number in E.164.
#[derive(Debug, Clone)]
pub struct Store {
    customers: HashMap<&'static str, (Customer, Vec<Order>)>,
}

impl Store {
    /// The demo's data set (fictional numbers from Ofcom's drama ranges).
    pub fn demo() -> Self {
        let mut customers = HashMap::new();
        let alice = Customer {
            id: 1,
            name: "Alice",
            car: "VW Golf",
        };
        let orders = vec![
            Order {
                number: "RT-1001",
                item: "4 x 205/55 R16 summer",
                status: "fitted",
            },
            Order {
                number: "RT-1042",
                item: "4 x 205/55 R16 winter",
                status: "in stock",
            },
        ];
        customers.insert("+447911123456", (alice, orders));
        let bob = Customer {
            id: 2,
            name: "Bob",
            car: "Ford Transit",
        };
        let orders = vec![Order {
            number: "RT-1007",
            item: "2 x 215/65 R16C",
            status: "ordered",
        }];
        customers.insert("+447911123457", (bob, orders));
        Self { customers }
    }

    /// The customer with this number.
    pub fn customer(&self, e164: &str) -> Option<&Customer> {
        self.customers.get(e164).map(|(customer, _)| customer)
    }

    /// The orders of the customer with this number.
    pub fn orders(&self, e164: &str) -> &[Order] {
        self.customers.get(e164).map_or(&[], |(_, orders)| orders)
    }

    /// How many customers there are.
    pub fn len(&self) -> usize {
        self.customers.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
    }
}
