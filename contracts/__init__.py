"""Master data and contracts: customers, projects, resources, price lists, contracts."""
