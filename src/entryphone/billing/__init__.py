"""What an operator's billing/CRM system may do: create, update, replace, move and delete intercoms,
set flat line flags and keep residents' flats in sync. Every change is written to the audit trail."""
