package tools

import (
	"github.com/stripe/stripe-go/v85"
)

type addressIn struct {
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
	Country    string `json:"country,omitempty" jsonschema:"two-letter code"`
}

func (a *addressIn) params() *stripe.AddressParams {
	if a == nil {
		return nil
	}
	p := &stripe.AddressParams{}
	setString(&p.Line1, a.Line1)
	setString(&p.Line2, a.Line2)
	setString(&p.City, a.City)
	setString(&p.State, a.State)
	setString(&p.PostalCode, a.PostalCode)
	setString(&p.Country, a.Country)
	return p
}

func (a *addressIn) validate() error {
	if a == nil || a.Country == "" {
		return nil
	}
	if len(a.Country) != 2 {
		return badInput("address.country must be a two-letter ISO country code such as US, got %q", clip(a.Country))
	}
	return nil
}

// customerFields are the fields create and update share.
type customerFields struct {
	Email       string     `json:"email,omitempty"`
	Name        string     `json:"name,omitempty"`
	Phone       string     `json:"phone,omitempty"`
	Description string     `json:"description,omitempty"`
	Address     *addressIn `json:"address,omitempty"`
	Metadata    metadata   `json:"metadata,omitempty"`
}

func (f *customerFields) validate() error {
	return firstError(checkEmail("email", f.Email), f.Address.validate(), checkMetadata(f.Metadata))
}

type createCustomerIn struct {
	customerFields
	PaymentMethodID string `json:"paymentMethodId,omitempty" jsonschema:"pm_…"`
	write
}

func (in *createCustomerIn) validate(*Deps) error {
	return firstError(in.customerFields.validate(), checkID("paymentMethodId", in.PaymentMethodID, "pm_"))
}

type customerIn struct {
	CustomerID string `json:"customerId" jsonschema:"cus_…"`
}

func (in *customerIn) validate(*Deps) error { return checkID("customerId", in.CustomerID, "cus_") }

type updateCustomerIn struct {
	customerIn
	customerFields
	DefaultPaymentMethodID string `json:"defaultPaymentMethodId,omitempty" jsonschema:"attached pm_… for invoices and subscriptions"`
	write
	confirmable
}

func (in *updateCustomerIn) validate(d *Deps) error {
	return firstError(in.customerIn.validate(d), in.customerFields.validate(), checkID("defaultPaymentMethodId", in.DefaultPaymentMethodID, "pm_"))
}

type getCustomerIn struct {
	customerIn
	output
}

type listCustomersIn struct {
	Email string `json:"email,omitempty" jsonschema:"exact email (case-sensitive)"`
	Query string `json:"query,omitempty" jsonschema:"Stripe search query, e.g. name~\"jane\""`
	page
	output
}

func (in *listCustomersIn) validate(*Deps) error {
	if in.Query != "" {
		if in.Email != "" || in.EndingBefore != "" {
			return badInput("query cannot be combined with email or endingBefore; put email:\"…\" in the query")
		}
		return nil
	}
	return firstError(checkID("startingAfter", in.StartingAfter, "cus_"), checkID("endingBefore", in.EndingBefore, "cus_"))
}

func customerTools() []Definition {
	return []Definition{
		&tool[createCustomerIn]{
			Meta: Meta{
				Name: "stripe_create_customer", Toolset: "customers", Title: "Create customer",
				Description: "Create a customer; paymentMethodId is attached as the default.",
			},
			run: createCustomer,
		},
		&tool[updateCustomerIn]{
			Meta: Meta{
				Name: "stripe_update_customer", Toolset: "customers", Title: "Update customer",
				Description: "Update a customer: only given fields change; metadata merges, an empty value deletes a key.",
				Destructive: true, Idempotent: true,
			},
			run:   updateCustomer,
			money: moneyUpdateCustomer,
		},
		&tool[getCustomerIn]{
			Meta: Meta{
				Name: "stripe_get_customer", Toolset: "customers", Title: "Get customer",
				Description: "Retrieve a customer.",
				ReadOnly:    true,
			},
			run: getCustomer,
		},
		&tool[listCustomersIn]{
			Meta: Meta{
				Name: "stripe_list_customers", Toolset: "customers", Title: "List customers",
				Description: "List customers newest first, by exact email, or search with query.",
				ReadOnly:    true,
			},
			schema: pageSchema,
			run:    listCustomers,
		},
	}
}

func createCustomer(c *call, in *createCustomerIn) (any, error) {
	p := &stripe.CustomerCreateParams{Address: in.Address.params(), Metadata: in.Metadata}
	p.IdempotencyKey = c.nextKey()
	setString(&p.Email, in.Email)
	setString(&p.Name, in.Name)
	setString(&p.Phone, in.Phone)
	setString(&p.Description, in.Description)
	if in.PaymentMethodID != "" {
		p.PaymentMethod = stripe.String(in.PaymentMethodID)
		p.InvoiceSettings = &stripe.CustomerCreateInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(in.PaymentMethodID)}
	}
	cus, err := c.d.Stripe.V1Customers.Create(c, p)
	if err != nil {
		return nil, stripeErr(err)
	}
	return c.object(viewCustomer(cus), cus.LastResponse), nil
}

func updateCustomer(c *call, in *updateCustomerIn) (any, error) {
	p := &stripe.CustomerUpdateParams{Address: in.Address.params(), Metadata: in.Metadata}
	p.IdempotencyKey = c.nextKey()
	setString(&p.Email, in.Email)
	setString(&p.Name, in.Name)
	setString(&p.Phone, in.Phone)
	setString(&p.Description, in.Description)
	if in.DefaultPaymentMethodID != "" {
		p.InvoiceSettings = &stripe.CustomerUpdateInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(in.DefaultPaymentMethodID)}
	}
	cus, err := c.d.Stripe.V1Customers.Update(c, in.CustomerID, p)
	if err != nil {
		return nil, stripeErr(err)
	}
	return c.object(viewCustomer(cus), cus.LastResponse), nil
}

func getCustomer(c *call, in *getCustomerIn) (any, error) {
	cus, err := c.d.Stripe.V1Customers.Retrieve(c, in.CustomerID, nil)
	if err != nil {
		return nil, stripeErr(err)
	}
	return c.object(viewCustomer(cus), cus.LastResponse), nil
}

func listCustomers(c *call, in *listCustomersIn) (any, error) {
	id := func(c *stripe.Customer) string { return c.ID }
	if in.Query != "" {
		p := &stripe.CustomerSearchParams{}
		p.Query = in.Query
		p.Limit = stripe.Int64(in.limit())
		setString(&p.Page, in.StartingAfter)
		l := c.d.Stripe.V1Customers.Search(c, p)
		if err := l.Err(); err != nil {
			return nil, stripeErr(err)
		}
		if c.full {
			return rawList(l.LastResponse()), nil
		}
		return newList(customerViews(l.Data()), l.Meta().HasMore, stripe.StringValue(l.Meta().NextPage)), nil
	}
	p := &stripe.CustomerListParams{}
	p.Limit = stripe.Int64(in.limit())
	setString(&p.Email, in.Email)
	setString(&p.StartingAfter, in.StartingAfter)
	setString(&p.EndingBefore, in.EndingBefore)
	return listPage(c, c.d.Stripe.V1Customers.List(c, p), viewCustomer, id)
}

func customerViews(data []*stripe.Customer) []*customerView {
	out := make([]*customerView, len(data))
	for i, c := range data {
		out[i] = viewCustomer(c)
	}
	return out
}
