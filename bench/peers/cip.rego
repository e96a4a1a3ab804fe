# The default cipgate policy's completeness and restricted-jurisdiction rules in Rego, for the
# benchmark (bench/peers/README.md lists the subset and how it maps to policies/us-iaas-cip.yaml).
# `violations` is the set of rule ids that fire, named as in the cipgate policy.
package cip

import rego.v1

restricted_jurisdictions := {"CU", "IR", "KP"}

us_and_territories := {"US", "PR", "GU", "VI", "AS", "MP", "UM"}

restricted_regions := {"UA-43", "UA-40"}

# Calling codes of the restricted jurisdictions (calling codes are prefix-free).
restricted_calling_codes := {"+53", "+98", "+850"}

# A field is there when it is present, not null and not the empty string.
present(obj, path) if {
	value := object.get(obj, path, null)
	value != null
	value != ""
}

consistent_us_person if {
	input.customer.us_person == true
	input.customer.address.country in us_and_territories
	us_phone_or_none
}

us_phone_or_none if not present(input, ["customer", "phone"])

us_phone_or_none if startswith(input.customer.phone, "+1")

foreign_person if not consistent_us_person

required_of_everyone := {
	"name-required": ["customer", "legal_name"],
	"email-required": ["customer", "email"],
	"country-required": ["customer", "address", "country"],
}

required_of_foreign_persons := {
	"phone-required": ["customer", "phone"],
	"street-required": ["customer", "address", "line1"],
	"city-required": ["customer", "address", "city"],
	"payment-method-required": ["payment", "method"],
	"payment-institution-required": ["payment", "institution"],
	"payment-country-required": ["payment", "country"],
	"payment-reference-required": ["payment", "reference"],
}

required_of_owners := {
	"owner-name-required": ["legal_name"],
	"owner-street-required": ["address", "line1"],
	"owner-city-required": ["address", "city"],
	"owner-country-required": ["address", "country"],
}

owners := object.get(input, "beneficial_owners", [])

violations contains "customer-kind-required" if not present(input, ["customer", "kind"])

violations contains id if {
	some id, path in required_of_everyone
	not present(input, path)
}

violations contains id if {
	foreign_person
	some id, path in required_of_foreign_persons
	not present(input, path)
}

violations contains "beneficial-owner-required" if {
	foreign_person
	input.customer.kind == "organization"
	count(owners) == 0
}

violations contains id if {
	some owner in owners
	some id, path in required_of_owners
	not present(owner, path)
}

violations contains "reseller-cip-required" if {
	foreign_person
	input.reseller.is_reseller == true
	not present(input, ["reseller", "cip_reference"])
}

violations contains "address-country-restricted" if input.customer.address.country in restricted_jurisdictions

violations contains "address-region-restricted" if input.customer.address.region in restricted_regions

violations contains "payment-country-restricted" if input.payment.country in restricted_jurisdictions

violations contains "owner-country-restricted" if {
	some owner in owners
	owner.address.country in restricted_jurisdictions
}

violations contains "phone-country-restricted" if {
	some code in restricted_calling_codes
	startswith(input.customer.phone, code)
}
