package screening

import (
	"slices"
)

// EntityType is Flagright's SanctionsDetailsEntityType: which of a user's names was screened.
type EntityType string

// The values of SanctionsDetailsEntityType.
const (
	EntityConsumerName           EntityType = "CONSUMER_NAME"
	EntityLegalName              EntityType = "LEGAL_NAME"
	EntityShareholder            EntityType = "SHAREHOLDER"
	EntityDirector               EntityType = "DIRECTOR"
	EntityNameOnCard             EntityType = "NAME_ON_CARD"
	EntityPaymentName            EntityType = "PAYMENT_NAME"
	EntityPaymentBeneficiaryName EntityType = "PAYMENT_BENEFICIARY_NAME"
	EntityBankName               EntityType = "BANK_NAME"
	EntityBankAccountHolderName  EntityType = "BANK_ACCOUNT_HOLDER_NAME"
	EntityBusinessPartner        EntityType = "BUSINESS_PARTNER"
	EntityAssociatedParty        EntityType = "ASSOCIATED_PARTY"
	EntityConsumerAlias          EntityType = "CONSUMER_ALIAS"
	EntityLegalEntityAlias       EntityType = "LEGAL_ENTITY_ALIAS"
	EntityTransactionReference   EntityType = "TRANSACTION_REFERENCE"
	EntityTransactionTag         EntityType = "TRANSACTION_TAG"
)

// HitContext is Flagright's SanctionsHitContext for a user's screening.
type HitContext struct {
	// Entity is Flagright's SanctionsScreeningEntity: "USER" for a user's names.
	Entity      string      `json:"entity"`
	EntityType  *EntityType `json:"entityType,omitempty"`
	UserID      *string     `json:"userId,omitempty"`
	RuleID      *string     `json:"ruleId,omitempty"`
	YearOfBirth *int        `json:"yearOfBirth,omitempty"`
	SearchTerm  *string     `json:"searchTerm,omitempty"`
}

// SanctionsDetails is one element of Flagright's ruleHitMeta.sanctionsDetails: the screened
// name, the search that produced the hits (GET /screening/searches/{searchId} returns its
// matches) and the hits' ids. isOngoingScreeningHit is not here: Flagright carries it on
// ruleHitMeta, beside sanctionsDetails.
type SanctionsDetails struct {
	Name           string      `json:"name"`
	SearchID       string      `json:"searchId"`
	EntityType     *EntityType `json:"entityType,omitempty"`
	SanctionHitIDs []string    `json:"sanctionHitIds,omitempty"`
	HitContext     *HitContext `json:"hitContext,omitempty"`
}

// HitID names a match of a search stably: the list's source and the entry's ID, so that a
// cleared false positive can be recognised in a later search of the same user.
func HitID(m Match) string { return m.Entry.Source + ":" + m.Entry.ID }

// Details builds the sanctionsDetails element for one screened name and its matches, as the
// integration stores it on a rule hit. searchID is the integration's id of the search; ruleID
// is optional.
func Details(searchID, ruleID string, s Subject, matches []Match) SanctionsDetails {
	et := s.EntityType
	d := SanctionsDetails{Name: s.Query.Name, SearchID: searchID, EntityType: &et}
	for _, m := range matches {
		if id := HitID(m); !slices.Contains(d.SanctionHitIDs, id) {
			d.SanctionHitIDs = append(d.SanctionHitIDs, id)
		}
	}
	ctx := &HitContext{Entity: "USER", EntityType: &et, SearchTerm: &d.Name}
	if s.UserID != "" {
		ctx.UserID = &s.UserID
	}
	if ruleID != "" {
		ctx.RuleID = &ruleID
	}
	if y := s.Query.BirthDate.Year; y > 0 {
		ctx.YearOfBirth = &y
	}
	d.HitContext = ctx
	return d
}

// Classify tells whether matches include a sanctioned entry and a politically exposed
// person, the two facts the sanctions and PEP risk factors read.
func Classify(matches []Match) (sanctioned, pep bool) {
	for _, m := range matches {
		sanctioned = sanctioned || m.Entry.Sanctioned
		pep = pep || m.Entry.PEP
	}
	return sanctioned, pep
}
