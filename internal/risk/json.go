package risk

import "github.com/vigil-aml/vigil/internal/schema"

// AppendJSON appends the state as encoding/json encodes it, without reflection: every write
// stores one.
func (s State) AppendJSON(b []byte) []byte {
	b = append(b, `{"kyc":`...)
	b = s.KYC.appendJSON(b)
	b = append(b, `,"cra":`...)
	b = s.CRA.appendJSON(b)
	b = append(b, `,"computedKyc":`...)
	b = s.ComputedKYC.appendJSON(b)
	b = append(b, `,"computedCra":`...)
	b = s.ComputedCRA.appendJSON(b)
	b = append(b, `,"activity":`...)
	b = schema.AppendFloat(b, s.Activity)
	b = append(b, `,"activityAt":`...)
	b = schema.AppendInt(b, s.ActivityAt)
	b = append(b, `,"factors":`...)
	b, _ = schema.AppendList(b, s.Factors, func(b []byte, f FactorResult) ([]byte, error) { return f.appendJSON(b), nil })
	b = append(b, `,"floors":`...)
	b = schema.AppendStrings(b, s.Floors)
	b = append(b, `,"modelName":`...)
	b = schema.AppendString(b, s.ModelName)
	b = append(b, `,"modelVersion":`...)
	b = schema.AppendString(b, s.ModelVersion)
	return append(b, '}')
}

func (s Score) appendJSON(b []byte) []byte {
	b = append(b, `{"score":`...)
	b = schema.AppendFloat(b, s.Score)
	b = append(b, `,"level":`...)
	b = schema.AppendString(b, s.Level)
	b = append(b, `,"source":`...)
	b = schema.AppendString(b, s.Source)
	if s.Locked {
		b = append(b, `,"locked":true`...)
	}
	return append(b, '}')
}

func (f FactorResult) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = schema.AppendString(b, f.ID)
	b = append(b, `,"name":`...)
	b = schema.AppendString(b, f.Name)
	if f.Value != "" {
		b = append(b, `,"value":`...)
		b = schema.AppendString(b, f.Value)
	}
	if f.Missing {
		b = append(b, `,"missing":true`...)
	}
	b = append(b, `,"score":`...)
	b = schema.AppendFloat(b, f.Score)
	b = append(b, `,"weight":`...)
	b = schema.AppendFloat(b, f.Weight)
	b = append(b, `,"contribution":`...)
	b = schema.AppendFloat(b, f.Contribution)
	return append(b, '}')
}

// AppendJSON appends the details as encoding/json encodes them, without reflection.
func (d Details) AppendJSON(b []byte) []byte {
	b = append(b, `{"kycRiskScore":`...)
	b = schema.AppendFloat(b, d.KYCRiskScore)
	b = append(b, `,"craRiskScore":`...)
	b = schema.AppendFloat(b, d.CRARiskScore)
	b = append(b, `,"kycRiskLevel":`...)
	b = schema.AppendString(b, d.KYCRiskLevel)
	b = append(b, `,"craRiskLevel":`...)
	b = schema.AppendString(b, d.CRARiskLevel)
	return append(b, '}')
}
