package vigil

// Kind is the type of a user: consumer (a person) or business (a company).
type Kind string

// The two kinds of user.
const (
	Consumer Kind = "CONSUMER"
	Business Kind = "BUSINESS"
)

// wireNames are the names the wire model uses for one kind of user. Everything that differs
// between consumer and business users is here, so the write path is written once.
type wireNames struct {
	// noun is how messages name the kind ("consumer user").
	noun string
	// profileSchema validates a create body and every folded profile.
	profileSchema string
	// patchSchema validates the updated...Attributes of an event.
	patchSchema string
	// eventSchema validates an event body.
	eventSchema string
	// attributes is the event field that carries the patch.
	attributes string
	// eventPath is the path prefix of an event's Location.
	eventPath string
}

var names = map[Kind]wireNames{
	Consumer: {
		noun:          "consumer user",
		profileSchema: "User",
		patchSchema:   "UserOptional",
		eventSchema:   "ConsumerUserEvent",
		attributes:    "updatedConsumerUserAttributes",
		eventPath:     "/events/consumer/user/",
	},
	Business: {
		noun:          "business user",
		profileSchema: "Business",
		patchSchema:   "BusinessOptional",
		eventSchema:   "BusinessUserEvent",
		attributes:    "updatedBusinessUserAttributes",
		eventPath:     "/events/business/user/",
	},
}

// Valid reports whether k is one of the two kinds.
func (k Kind) Valid() bool {
	_, ok := names[k]
	return ok
}

// schemaNames lists every component schema the service validates against.
func schemaNames() []string {
	var out []string
	for _, n := range names {
		out = append(out, n.profileSchema, n.patchSchema, n.eventSchema)
	}
	return out
}
